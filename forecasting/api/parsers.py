import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import JSONParser

from assets.validators import MAX_JSON_DEPTH, first_bad_text, json_too_deep, too_deep_message


class LenientConstantsJSONParser(JSONParser):

    """Parses NaN/Infinity literals into floats instead of failing the whole body, so the validators can reject them
    with a message that names the field ("The probability must be between 0.001 and 0.999 (you entered not a number)").

    Refuses with 400, before any view sees the data: nesting deeper than ``MAX_JSON_DEPTH`` (the decoder would
    recurse into a RecursionError), and a NUL character or a lone surrogate in any string, naming its field
    (``{"rationale": ["rationale contains a NUL character ..."]}``): no text the site stores can hold them."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            if json_too_deep(text, MAX_JSON_DEPTH):
                raise ParseError(too_deep_message(MAX_JSON_DEPTH))
            data = json.loads(text, parse_constant=float)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ParseError(too_deep_message(MAX_JSON_DEPTH)) from None
        bad = first_bad_text(data)
        if bad:
            path, problem = bad
            raise DRFValidationError({path: [f"{path} {problem}."]})
        return data
