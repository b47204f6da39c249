from coursebridge.web.sanitize import sanitize_html


def test_allowlisted_tags_stay_and_scripts_go_with_their_content():
    html = '<p>Learn <strong>fast</strong><script>alert("x")</script></p><style>p{color:red}</style>'

    assert sanitize_html(html) == "<p>Learn <strong>fast</strong></p>"


def test_attributes_are_dropped_and_event_handlers_never_survive():
    html = '<p class="x" onclick="steal()">Hi</p><img src="x" onerror="steal()"><b style="color:red">bold</b>'

    assert sanitize_html(html) == "<p>Hi</p><b>bold</b>"


def test_links_keep_only_web_addresses():
    html = '<a href="https://example.org/a?b=1&amp;c=2">ok</a> <a href="javascript:steal()">bad</a>'

    assert sanitize_html(html) == (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">ok</a> <a>bad</a>'
    )


def test_text_is_escaped():
    assert sanitize_html("<p>1 &lt; 2 &amp; &quot;x&quot; <i>ok</i></p>") == "<p>1 &lt; 2 &amp; \"x\" <i>ok</i></p>"


def test_unclosed_tags_are_closed_and_stray_end_tags_ignored():
    assert sanitize_html("<ul><li>one<li>two</ul></b><em>open") == "<ul><li>one</li><li>two</li></ul><em>open</em>"


def test_plain_text_keeps_paragraphs_and_line_breaks_and_decodes_entities():
    assert sanitize_html("First line\nsecond &amp; more\n\nWhen 1 < 2") == (
        "<p>First line<br>second &amp; more</p>\n\n<p>When 1 &lt; 2</p>"
    )


def test_empty_description_is_empty():
    assert sanitize_html("") == ""
