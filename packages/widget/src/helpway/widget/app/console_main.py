"""The agent console's entry script: PyScript runs it with the app modules beside it."""

import console_app

console_app.start()
