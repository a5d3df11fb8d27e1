import pytest

from tests.factories import SummaryFactory


@pytest.fixture(autouse=True)
def _summary_sequence_from_zero():
    """SummaryFactory dates each summary a week after the previous one
    (its sequence). These tests create hundreds, which would push the
    default publish time of the next test's summaries (here or in any test
    run after these) past today, where readers no longer see them: every
    test starts, and leaves, the sequence at zero."""
    SummaryFactory.reset_sequence()
    yield
    SummaryFactory.reset_sequence()
