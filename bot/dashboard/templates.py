"""The dashboard's Jinja2 templates (autoescaped), kept in the package so every install has them."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, StrictUndefined

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{% block title %}SafeBot statistics{% endblock %}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f6f7f9; }
  .skip { position: absolute; left: -999px; top: 0; background: #fff; color: #16324f;
          padding: .5rem 1rem; z-index: 10; }
  .skip:focus { left: .5rem; top: .5rem; }
  a { color: #0b4f8a; }
  :focus-visible { outline: 3px solid #e0a800; outline-offset: 2px; }
  header { background: #16324f; color: #fff; padding: .7rem 1.2rem; display: flex;
           flex-wrap: wrap; gap: .5rem; justify-content: space-between; align-items: center; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header form { margin: 0; }
  header nav a { color: #fff; margin-right: 1rem; }
  main { padding: 1rem 1.2rem; max-width: 1200px; }
  .card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 1rem;
          margin-bottom: 1rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr));
          gap: 1rem; }
  figure { margin: 0; }
  figcaption { margin-bottom: .4rem; }
  figcaption .title { font-weight: 600; display: block; }
  .filters-line { font-size: .85rem; color: #3d4752; }
  svg.chart { max-width: 100%; height: auto; }
  .chart-box { overflow-x: auto; }
  td:nth-child(3), th:nth-child(1) { white-space: nowrap; }
  svg text.hidden { fill: #595959; font-style: italic; }
  svg text.axis-label { fill: #3d4752; font-weight: 600; }
  form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; }
  form.filters label { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; }
  input, select, button { font: inherit; padding: .3rem .4rem; }
  button { cursor: pointer; }
  .table-wrap { overflow-x: auto; }
  /* The period stays in view while the table scrolls sideways on a phone. */
  #figures tbody th:first-child, #figures thead th:first-child {
    position: sticky; left: 0; background: #fff; z-index: 1; }
  #figures tr.total th:first-child { background: #f3f5f8; }
  .scroll-hint { display: none; }
  table { border-collapse: collapse; font-size: .85rem; width: 100%; }
  th, td { padding: .25rem .5rem; border-bottom: 1px solid #eceef1; text-align: right; }
  th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
  thead th { vertical-align: bottom; }
  tr.total td, tr.total th { font-weight: 600 !important; background: #f3f5f8; }
  table caption { text-align: left; caption-side: top; padding-bottom: .3rem; }
  tr.partial td:nth-child(3) { color: #8a4b00; font-weight: 600; }
  td.hidden { color: #595959; font-style: italic; }
  .rule { font-size: .9rem; background: #fff8e1; border-left: 4px solid #e0a800; padding: .6rem .8rem; }
  .active { font-size: 1rem; background: #e8f1fb; border-left: 4px solid #0b4f8a; padding: .6rem .8rem; }
  .error { background: #fdecea; border-left: 4px solid #c62828; padding: .6rem .8rem; }
  dl.glossary { display: grid; grid-template-columns: minmax(8rem, 16rem) 1fr; gap: .3rem 1rem;
                margin: .5rem 0 0; font-size: .9rem; }
  dl.glossary dt { font-weight: 600; }
  dl.glossary dd { margin: 0; }
  @media (max-width: 600px) {
    main { padding: .6rem; }
    svg.chart.lines { max-width: none; width: 600px; }
    svg.chart.bars { width: 100%; }
    dl.glossary { grid-template-columns: 1fr; }
    dl.glossary dd { margin-bottom: .4rem; }
    .scroll-hint { display: block; font-size: .85rem; color: #3d4752; margin: 0 0 .3rem; }
  }
  .login { max-width: 22rem; margin: 4rem auto; }
  .login label { display: block; margin-bottom: .8rem; }
  .login input { width: 100%; box-sizing: border-box; }
  @media print {
    @page { size: A4; margin: 14mm; }
    body { background: #fff; font-size: 10pt; }
    header nav, header form, .skip, form.filters, .no-print, #csv { display: none !important; }
    header { background: #fff; color: #000; padding: 0 0 .4rem; border-bottom: 2px solid #000; }
    main { max-width: none; padding: 0; }
    .card { border: none; padding: 0; margin-bottom: .8rem; break-inside: avoid; }
    .grid { display: block; }
    .table-wrap { overflow: visible; }
    table { font-size: 8pt; }
    tr { break-inside: avoid; }
    a { color: #000; text-decoration: none; }
  }
</style>
</head>
<body>
<a class="skip" href="#content">Skip to the figures</a>
<header>
  <h1>SafeBot · anonymised statistics</h1>
  {% if signed_in %}
  <nav aria-label="Pages"><a href="/">Overview</a><a href="/report">Monthly report</a></nav>
  <form method="post" action="/logout">
    <span>{{ signed_in.username }}</span>
    <button type="submit">Log out</button>
  </form>
  {% endif %}
</header>
<main id="content" tabindex="-1">
{% block main %}{% endblock %}
</main>
</body>
</html>
"""

LOGIN = """{% extends "base.html" %}
{% block title %}Log in · SafeBot statistics{% endblock %}
{% block main %}
<div class="card login">
  <h2>Log in</h2>
  {% if message %}<p class="error" role="alert">{{ message }}</p>{% endif %}
  <form method="post" action="/login">
    <label>Username <input name="username" autocomplete="username" required autofocus></label>
    <label>Password
      <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Log in</button>
  </form>
  <p>Accounts are made by an administrator with <code>safebot reviewer add NAME</code>.</p>
</div>
{% endblock %}
"""

MESSAGE = """{% extends "base.html" %}
{% block title %}{{ heading }} · SafeBot statistics{% endblock %}
{% block main %}
<div class="card login">
  <h2>{{ heading }}</h2>
  <p>{{ message }}</p>
  <p><a href="/login">Back to the login page</a></p>
</div>
{% endblock %}
"""

#: Shared by the overview and the report: the active filters, the glossary, the charts, a table.
MACROS = """
{% macro active(overview) -%}
<p class="active" id="active-filters"><strong>Showing:</strong> {{ overview.filter_line() }}.
  {%- if overview.partial_periods() %} Partial periods (fewer days of data than the period):
  {{ overview.partial_periods() | join(', ') }}; compare their messages per day.{% endif %}</p>
{%- endmacro %}

{% macro glossary_list() -%}
<dl class="glossary">
  <dt>hidden</dt><dd>{{ hidden_words }}: a figure from fewer than {{ k }} children, or one
    hidden so that such a figure cannot be worked out by subtraction (see the small-cell rule).
    It never means "less than {{ k }} %".</dd>
  {% for c, text in glossary.items() %}<dt>{{ headings[c] }}</dt><dd>{{ text }}</dd>{% endfor %}
  <dt>{{ missing_words['intent'] }}</dt><dd>messages that are not about a topic: commands
    such as /start, and settings buttons.</dd>
  <dt>partial</dt><dd>a week or month with fewer days of data than it has (data began or
    ended inside it), or one that is still running ("so far").</dd>
</dl>
<p class="rule"><strong>Small-cell rule.</strong> {{ rule }}</p>
{%- endmacro %}

{% macro chart(overview, id, title, svg, note='') -%}
<figure class="card" id="{{ id }}">
  <figcaption><span class="title">{{ title }}</span>
    <span class="filters-line">{{ overview.filter_line() }}</span></figcaption>
  <div class="chart-box" tabindex="0" role="region" aria-label="{{ title }} (scrolls sideways on a small screen)">{{ svg }}</div>
  {% if note %}<p class="filters-line">{{ note }}</p>{% endif %}
</figure>
{%- endmacro %}

{% macro figures_table(rows, caption) -%}
<p class="scroll-hint">This table has {{ columns | length }} columns, from "{{ headings[columns[0]] }}" to "{{ headings[columns[-1]] }}": swipe it sideways to see them all.</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="{{ caption }}">
<table id="figures">
  <caption class="filters-line">{{ caption }}</caption>
  <thead><tr>{% for c in columns %}<th scope="col">{{ headings[c] }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for row in rows %}
    <tr class="{{ 'total' if row.total }} {{ 'partial' if row.partial }}">
      {% for c in columns %}{% set cell = row.cells[c] %}
      {%- if loop.index <= 2 %}<th scope="row"{% if cell.note %} title="{{ cell.note }}"{% endif %} style="font-weight: inherit; text-align: left">{{ cell.text }}</th>
      {%- else %}<td{% if cell.hidden %} class="hidden"{% endif %}{% if cell.note %} title="{{ cell.note }}"{% endif %}>{{ cell.text }}</td>{% endif %}
      {%- endfor %}
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{%- endmacro %}
"""

OVERVIEW = """{% extends "base.html" %}
{% from "macros.html" import active, glossary_list, chart, figures_table with context %}
{% block main %}
<section class="card" aria-labelledby="filters-heading">
  <h2 id="filters-heading">Choose figures</h2>
  <form class="filters" method="get" action="/">
    <label>Period
      <select name="period">
        {% for p in periods %}<option value="{{ p }}" {{ 'selected' if p == query.period }}>{{ p }}</option>{% endfor %}
      </select></label>
    <label>Table by
      <select name="by">
        {% for b in dimensions %}<option value="{{ b }}" {{ 'selected' if b == query.by }}>{{ dimension_words[b] }}</option>{% endfor %}
      </select></label>
    <label>Topic
      <select name="intent"><option value="">all topics</option>
        {% for code, name in options['intent'] %}<option value="{{ code }}" {{ 'selected' if code == query.filters.intent }}>{{ name }}</option>{% endfor %}
      </select></label>
    <label>Language
      <select name="locale"><option value="">all languages</option>
        {% for code, name in options['locale'] %}<option value="{{ code }}" {{ 'selected' if code == query.filters.locale }}>{{ name }}</option>{% endfor %}
      </select></label>
    <label>Country
      <select name="country"><option value="">all countries</option>
        {% for code, name in options['country'] %}<option value="{{ code }}" {{ 'selected' if code == query.filters.country }}>{{ name }}</option>{% endfor %}
      </select></label>
    <label>From <input type="date" name="since" value="{{ query.filters.since or '' }}"></label>
    <label>To <input type="date" name="until" value="{{ query.filters.until or '' }}"></label>
    <label>Trend shows
      <select name="measure">
        <option value="messages" {{ 'selected' if query.measure == 'messages' }}>messages per {{ query.period }}</option>
        <option value="per_day" {{ 'selected' if query.measure == 'per_day' }}>messages per day (fair for partial periods)</option>
      </select></label>
    <button type="submit">Apply</button>
    <a href="/">Reset</a>
  </form>
  {% for problem in problems %}<p class="error">{{ problem }}</p>{% endfor %}
  <p class="no-print"><a href="#glossary">What the words on this page mean</a> ·
    <a href="/report?{{ report_params }}">Printable monthly report</a></p>
</section>

{{ active(overview) }}

{% if overview.total.suppressed %}
<p class="card">Fewer than {{ k }} children match these filters: nothing can be shown.</p>
{% else %}
<p>{{ overview.total.figures.messages }} messages from {{ overview.total.figures.users }} children.</p>
{% endif %}

<section class="card" id="glossary" aria-labelledby="glossary-heading">
  <details>
    <summary><h2 id="glossary-heading" style="display: inline; font-size: 1.1rem">What the words on this page mean</h2></summary>
    {{ glossary_list() }}
  </details>
</section>

<h2>Charts</h2>
<div class="grid">
  {{ chart(overview, 'trend', overview.trend_title(), overview.trend_chart(),
     'Each topic keeps its colour on every page. Crisis and emergency topics are always drawn. '
     ~ 'A dotted stretch: figures hidden there (fewer than ' ~ k ~ ' children).') }}
  {{ chart(overview, 'countries', 'Share of messages by country', overview.country_chart()) }}
  {{ chart(overview, 'helpfulness', 'Helpful answers by topic', overview.helpfulness_chart()) }}
  {{ chart(overview, 'clarification', 'Asked to pick a topic, by language (a sign of gaps in the training data)', overview.clarification_chart()) }}
</div>

<section class="card" aria-labelledby="table-heading">
  <h2 id="table-heading">Figures by {{ query.period }} and {{ dimension_words[query.by] }}</h2>
  <p><a id="csv" href="/export.csv?{{ csv_params }}" download>Download this table as CSV</a>
    (the same columns; its first line names the period and filters)</p>
  {{ figures_table(rows, 'By ' ~ query.period ~ ' and ' ~ dimension_words[query.by] ~ ': ' ~ overview.filter_line()) }}
</section>
{% endblock %}
"""

REPORT = """{% extends "base.html" %}
{% from "macros.html" import active, glossary_list, chart, figures_table with context %}
{% block title %}Monthly report {{ report.title }} · SafeBot statistics{% endblock %}
{% block main %}
<h2 id="report-heading">Monthly report: {{ report.title }}</h2>
<p class="no-print"><a href="/">Back to the overview</a> · use your browser's Print to save it as PDF</p>
{{ active(overview) }}
{% if overview.total.suppressed %}
<p class="card">Fewer than {{ k }} children match these filters: nothing can be shown.</p>
{% else %}
<p>{{ overview.total.figures.messages }} messages from {{ overview.total.figures.users }} children in {{ report.title }}.</p>
{% endif %}
<section class="card" aria-labelledby="report-table">
  <h2 id="report-table">Topics in {{ report.title }}, compared with the month before</h2>
  {{ figures_table(rows, 'By topic: ' ~ overview.filter_line()) }}
</section>
<div class="grid">
  {{ chart(overview, 'countries', 'Share of messages by country', overview.country_chart()) }}
  {{ chart(overview, 'helpfulness', 'Helpful answers by topic', overview.helpfulness_chart()) }}
  {{ chart(overview, 'clarification', 'Asked to pick a topic, by language', overview.clarification_chart()) }}
</div>
<section class="card" id="glossary" aria-labelledby="glossary-heading">
  <h2 id="glossary-heading">What the words in this report mean</h2>
  {{ glossary_list() }}
</section>
{% endblock %}
"""


def environment() -> Environment:
    """The templates, with autoescaping on for everything."""
    loader = DictLoader(
        {
            "base.html": BASE,
            "login.html": LOGIN,
            "message.html": MESSAGE,
            "macros.html": MACROS,
            "overview.html": OVERVIEW,
            "report.html": REPORT,
        }
    )
    return Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
