"""Calls made at the same moment by several clients, as apps and tills do."""

import threading
import xmlrpc.client


def in_parallel(workers, target):
    """Run ``target(index)`` in ``workers`` threads released together; each
    result is ``("ok", value)`` or ``("fault", last line of the error)``."""
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def run(index):
        barrier.wait()
        try:
            results[index] = ("ok", target(index))
        except xmlrpc.client.Fault as fault:
            results[index] = ("fault", fault.faultString.splitlines()[-1][:200])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results
