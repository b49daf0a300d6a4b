"""The live board (lesson 10): every change to a user's tasks, pushed to their open WebSockets.

The path of one change, from the store to a browser:

1. a store (in memory or in the database) announces it, whoever made it (taskboard/events.py);
2. the broker carries it to every instance of the app: in memory, only this one; with Redis
   pub/sub, all of them (`brokers.py`);
3. each instance's connection manager hands it to the subscribers who may see it (`manager.py`);
4. each subscriber's socket sends it (taskboard/api/routes/live.py).

`live_board_lifespan` (`lifespan.py`) starts and stops steps 2 and 3 with the app.
"""
