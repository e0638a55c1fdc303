"""The bureaus' campaigns (专项工作) as data, one TOML file per campaign, transcribed from the notices
with their source lines (read by bench/campaign.py; the format is in docs/oversight.md, "Campaigns")."""
