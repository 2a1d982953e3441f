"""Business rules. Nothing here imports Flask, Connexion or Starlette."""
