"""The HTTP API: FastAPI over the case engine, served by uvicorn.

`service.api.app.create_app` builds it and `service.api.server.ApiServer`
serves it. Nothing is imported here, so the command line can use
`service.api.tokens` without loading FastAPI.
"""
