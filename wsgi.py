"""What gunicorn and `flask --app wsgi` load."""

from workflow import create_app

app = create_app()
