"""The client's voice: presses of the handset (or the dashboard's client page) kept with the
moment they came at, and each client's comfort per body region learned across sessions and
proposed as their limits (never above the studio's or a contraindication's). docs/client.md."""
