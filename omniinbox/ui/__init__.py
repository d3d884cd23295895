"""The desktop client: the only package that imports Qt.

How it is put together (a file per part; each module's docstring says more):

* ``app`` starts it: the application object (Fusion style, high-DPI pass-through, a palette that
  follows the system's light/dark scheme, Qt's and our translations), the cache, the person at
  the desk (``usecases.current_user``), the task runner and the main window.
* ``tasks.TaskRunner`` is the one way to work off the GUI thread: ``write(fn(cache))`` on the
  single writer thread, ``read(fn(conn))`` on reader connections, ``network(fn())``; answers and
  errors come back by signals, and ``changed(Changes)`` tells every view what changed after our
  writes and, by polling, another process's (a sync worker). Views refresh only what they show.
* Reads are :mod:`omniinbox.store.views` (and ``queries``); writes are the use cases of
  :mod:`omniinbox.usecases`. No SQL and no HTTP here.
* ``models/``: ``item_list.ItemListModel`` (lazy: ids by page, rows by window, for a million
  items), ``thread.ThreadModel``, ``records.RecordTableModel`` (short lists: notes, audit, outbox,
  earlier items). Each passes ``qtmodeltester``.
* Widgets: ``main_window`` (side bar | list tabs | conversation pane), ``sidebar``, ``list_panel``
  (the inbox list and the team panels), ``item_delegate`` (paints list rows), ``conversation_pane``
  with ``thread_view`` and ``composer``, ``status_bar``.
* ``item_actions`` runs the actions on a selection; ``shortcuts`` declares every key once (a
  settings dialog edits them with ``Shortcuts.set_keys``); ``format`` holds the words and number
  formats, all translatable.
* ``samples`` fills a cache with generated, triaged traffic for tests, screenshots and benchmarks;
  ``qtprobe`` is the self-check's probe.

Every user-visible string goes through ``self.tr()`` / ``QCoreApplication.translate`` (contexts:
the class name, ``Format``, ``Queues``, ``Sidebar``, ``Shortcuts``, ``App``); translations load
from ``omniinbox/resources/translations/omniinbox_<lang>.qm`` when present.
"""
