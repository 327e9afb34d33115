"""Streamlit entry point: ``streamlit run app.py`` (or ``workshop ui``).

All logic lives in the ``workshop`` package; the pages in ``workshop/ui`` are thin.
"""

from workshop.ui.main import main

main()
