"""What members are saying: the most frequent themes (words) of the members' free-text
evaluation answers, opinions and service-gap reports, on the office dashboard and on a trial's
results page. No pages of its own: `services` answers the dashboards and results areas, and
`templates/themes/box.html` (in portal/templates) shows a list of themes.

Fed by `signals.submission_received` (receivers.py, imported by the dashboards area)."""
