from gosmart import create_app

app = create_app()
