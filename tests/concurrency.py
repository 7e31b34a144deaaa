"""Races, run for real: n threads that start together, each with its own session."""
import threading

from gosmart.extensions import db


def in_threads(app, n, work, errors=()):
    """Run work(i) in n threads released at once; their results, or the expected `errors`
    they raised, in the order they finished."""
    barrier = threading.Barrier(n)
    results = []

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results.append(work(i))
            except errors as error:
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
