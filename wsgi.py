"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""
from mentoring import create_app

app = create_app()
