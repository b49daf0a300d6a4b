"""`python -m course [NN]`: your progress in a terminal, what `make progress` prints."""

import sys

from course.progress import main

sys.exit(main(sys.argv[1:]))
