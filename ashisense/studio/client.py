"""A paho-mqtt 2 client (MQTT 5) for a studio URL: login, TLS for mqtts://, a persistent
session (clean_start off, kept by the broker for SESSION_EXPIRY_S), quick reconnects."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ashisense.studio.urls import StudioUrl

#: How long the broker keeps a disconnected client's session (its QoS 1 messages, and the
#: desk's subscriptions with what arrives for them meanwhile).
SESSION_EXPIRY_S = 3600
#: Reconnect delays (paho doubles from the first to the second).
RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 2


@dataclass(frozen=True)
class Will:
    """The message the broker publishes when the client dies (retained)."""

    topic: str
    payload: str
    qos: int = 1
    retain: bool = True


def make_client(url: StudioUrl, client_id: str, will: Will | None = None) -> mqtt.Client:
    """A client set up for `url` (not connected yet: connect() does that, in the background)."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    if url.user is not None:
        client.username_pw_set(url.user, url.password)
    if url.tls:
        client.tls_set(ca_certs=url.ca_file, cert_reqs=ssl.CERT_REQUIRED)
    if will is not None:
        client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client


def connect(client: mqtt.Client, url: StudioUrl, keepalive_s: int) -> None:
    """Start connecting in paho's own thread, which reconnects for as long as it runs."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = SESSION_EXPIRY_S
    client.connect_async(
        url.host, url.port, keepalive=keepalive_s, clean_start=False, properties=props
    )
    client.loop_start()
