"""The unsubscribe line of the suite's emails, for templates saved before it
existed."""

MARKER = "_loyalty_unsubscribe_url()"


def footer(partner_expr, ask, word):
    """The line as the shipped templates hold it; ``partner_expr`` is the
    template's expression for the customer (``object.partner_id``...)."""
    return (
        '<p style="font-size: 12px; color: #888888;">'
        f"{ask}\n"
        f'        <a t-att-href="{partner_expr}.{MARKER}">{word}</a></p>\n'
    )


def add_footer(body, line):
    """``body`` with ``line`` inside its outer block, or None when it
    already has an unsubscribe link (kept as the manager left it)."""
    if not body or MARKER in body:
        return None
    end = body.rfind("</div>")
    if end < 0:
        return body + line
    return body[:end] + line + body[end:]
