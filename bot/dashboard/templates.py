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
  header { background: #16324f; color: #fff; padding: .7rem 1.2rem; display: flex;
           justify-content: space-between; align-items: center; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header form { margin: 0; }
  main { padding: 1rem 1.2rem; max-width: 1200px; }
  .card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 1rem;
          margin-bottom: 1rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
  figure { margin: 0; }
  figcaption { font-weight: 600; margin-bottom: .4rem; }
  svg.chart { max-width: 100%; height: auto; }
  svg text.hidden { fill: #777; font-style: italic; }
  form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; }
  form.filters label { display: flex; flex-direction: column; font-size: .85rem; gap: .2rem; }
  input, select, button { font: inherit; padding: .3rem .4rem; }
  button { cursor: pointer; }
  table { border-collapse: collapse; font-size: .85rem; width: 100%; }
  th, td { padding: .25rem .5rem; border-bottom: 1px solid #eceef1; text-align: right; }
  th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
  tr.total td { font-weight: 600; background: #f3f5f8; }
  .rule { font-size: .9rem; background: #fff8e1; border-left: 4px solid #e0a800; padding: .6rem .8rem; }
  .error { background: #fdecea; border-left: 4px solid #c62828; padding: .6rem .8rem; }
  .login { max-width: 22rem; margin: 4rem auto; }
  .login label { display: block; margin-bottom: .8rem; }
  .login input { width: 100%; box-sizing: border-box; }
</style>
</head>
<body>
<header>
  <h1>SafeBot · anonymised statistics</h1>
  {% if signed_in %}
  <form method="post" action="/logout">
    <span>{{ signed_in.username }}</span>
    <button type="submit">Log out</button>
  </form>
  {% endif %}
</header>
<main>
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

OVERVIEW = """{% extends "base.html" %}
{% block main %}
<section class="card">
  <form class="filters" method="get" action="/">
    <label>Period
      <select name="period">
        {% for p in periods %}<option value="{{ p }}" {{ 'selected' if p == query.period }}>{{ p }}</option>{% endfor %}
      </select></label>
    <label>Table by
      <select name="by">
        {% for b in dimensions %}<option value="{{ b }}" {{ 'selected' if b == query.by }}>{{ b }}</option>{% endfor %}
      </select></label>
    <label>Locale
      <select name="locale"><option value="">all</option>
        {% for l in locales %}<option value="{{ l }}" {{ 'selected' if l == query.filters.locale }}>{{ l }}</option>{% endfor %}
      </select></label>
    <label>Country
      <select name="country"><option value="">all</option>
        {% for c in countries %}<option value="{{ c }}" {{ 'selected' if c == query.filters.country }}>{{ c }}</option>{% endfor %}
      </select></label>
    <label>Since <input type="date" name="since" value="{{ query.filters.since or '' }}"></label>
    <label>Until <input type="date" name="until" value="{{ query.filters.until or '' }}"></label>
    <button type="submit">Apply</button>
    <a href="/">Reset</a>
  </form>
  {% for problem in problems %}<p class="error">{{ problem }}</p>{% endfor %}
</section>

<p class="rule"><strong>Small-cell rule.</strong> {{ rule }}</p>

{% if overview.total.suppressed %}
<p class="card">Fewer than {{ k }} children match these filters: nothing can be shown.</p>
{% else %}
<p>{{ overview.total.figures.messages }} messages from {{ overview.total.figures.users }} children
  {%- if query.filters.since or query.filters.until %} between {{ query.filters.since or 'the start' }}
  and {{ query.filters.until or 'today' }}{% endif %}.</p>
{% endif %}

<div class="grid">
  <figure class="card" id="trend"><figcaption>Trend per intent</figcaption>{{ overview.trend_chart() }}
    <p>Gaps are {{ query.period }}s whose figure is hidden by the small-cell rule.</p></figure>
  <figure class="card" id="countries"><figcaption>Share by country</figcaption>{{ overview.country_chart() }}</figure>
  <figure class="card" id="helpfulness"><figcaption>Helpfulness by intent</figcaption>{{ overview.helpfulness_chart() }}</figure>
  <figure class="card" id="clarification"><figcaption>Clarification rate per locale (a sign of gaps in the training data)</figcaption>{{ overview.clarification_chart() }}</figure>
</div>

<section class="card">
  <h2>Figures by {{ query.period }} and {{ query.by }}</h2>
  <p><a id="csv" href="/export.csv?{{ csv_params }}" download>Download this table as CSV</a></p>
  <table id="figures">
    <thead><tr>{% for c in columns %}<th title="{{ column_help.get(c, '') }}">{{ headings[c] }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for row in rows %}
      <tr class="{{ 'total' if row.period == all_label or row.group == all_label }}">
        {% for c in columns %}<td>{{ '—' if row[c] is none else row[c] }}</td>{% endfor %}
      </tr>
    {% endfor %}
    </tbody>
  </table>
  <dl>
  {% for c, text in column_help.items() %}<dt>{{ headings[c] }}</dt><dd>{{ text }}</dd>{% endfor %}
  </dl>
</section>
{% endblock %}
"""


def environment() -> Environment:
    """The templates, with autoescaping on for everything."""
    loader = DictLoader(
        {"base.html": BASE, "login.html": LOGIN, "message.html": MESSAGE, "overview.html": OVERVIEW}
    )
    return Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
