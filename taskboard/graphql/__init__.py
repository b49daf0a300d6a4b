"""Taskboard in GraphQL (lesson 11): `POST /graphql`, on the same store, models and tokens as REST.

- `types.py`: the GraphQL types, made from the Pydantic models the REST routes return;
- `context.py`: what each request's resolvers get, built by FastAPI dependencies: who is
  calling, their store, and the DataLoaders that batch the store calls of nested fields;
- `errors.py`: the errors GraphQL reports, in its own answer, for what REST answers 4xx;
- `schema.py`: the queries and mutations, and the router that serves them.
"""

from taskboard.graphql.schema import router, schema

__all__ = ["router", "schema"]
