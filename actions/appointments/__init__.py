"""appointments: form.py (validation), answers.py (readers returning Checked), actions.py (questions with data, results)."""
