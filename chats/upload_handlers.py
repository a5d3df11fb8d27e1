"""An upload handler that stops reading a request once a file passes
``HCSMCA_MAX_UPLOAD_BYTES``.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE and FILE_UPLOAD_MAX_MEMORY_SIZE do not
cap a file's size: without this, a 50 GB upload would be written to a
temporary file in full before the form could say it is too large. This
handler runs first and raises ``StopUpload(connection_reset=True)``, so the
server reads no further; the import form then shows ``request.upload_refused``.
"""
from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.HCSMCA_MAX_UPLOAD_BYTES
        self.received = 0

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            # The file's name is shown escaped by the form; it is only a label.
            self.request.upload_refused = (
                f"{self.file_name} is larger than {self.limit:,} bytes, the largest upload accepted "
                f"(HCSMCA_MAX_UPLOAD_BYTES); compress it (.gz or .zip) or import it with manage.py import_transcript."
            )
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler stores it

    def file_complete(self, file_size):
        return None  # the next handler makes the file
