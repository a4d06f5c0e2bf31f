import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class LenientConstantsJSONParser(JSONParser):

    """Parses NaN/Infinity literals into floats instead of failing the whole body, so the validators can reject them
    with a message that names the field ("probability must be between 0.001 and 0.999 (got nan)")."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(stream.read().decode(encoding), parse_constant=float)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The request body is not valid JSON: {exc}") from None

