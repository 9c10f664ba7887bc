"""The dashboard's routes, one small APIRouter module per concern."""
