"""The widget's entry script: PyScript runs it with the app modules beside it."""

import widget_app

widget_app.start()
