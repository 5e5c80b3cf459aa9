"""Unbound extension objects; :func:`mentoring.create_app` binds them with ``init_app``."""
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from mentoring.models.base import Base, install_column_guards

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: gzip for HTML, JSON, CSS and JS when the client accepts it (a 50 KiB page travels as ~8 KiB).
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Every session (requests, CLI, jobs) stores only what its columns can hold (models.base).
install_column_guards(Session)
