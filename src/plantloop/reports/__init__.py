"""Reports: declarative parameterized reports over the ADS layer, streaming export (xlsx, csv, pdf),
scheduled e-mail distribution with each user's row scope, and rule-based alerts pushed by e-mail and
chat webhooks (DingTalk, WeCom, Feishu).

Rooms: ``definitions`` (load and validate report YAML, bind parameters), ``query`` (run a report with a
row scope), ``export`` (stream a run as xlsx / csv / pdf), ``distribution`` (subscriptions and the mailer),
``alerts`` (rules, the dedupe / hysteresis engine, acknowledgement), ``channels`` (push formats),
``sample_ads`` (ADS-shaped demo tables)."""
