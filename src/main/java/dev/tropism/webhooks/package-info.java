/**
 * Outbound webhooks: a team's endpoints ({@code /v1/webhook-endpoints}) and the signed deliveries of its events to
 * them (Standard Webhooks headers and signatures).
 *
 * <p>Delivery is durable through an outbox: {@link dev.tropism.webhooks.WebhookOutbox} listens synchronously to the
 * other modules' domain events and writes one {@code webhook_deliveries} row per matching endpoint inside the
 * transaction that records the event, so an event and its deliveries commit together. The
 * {@link dev.tropism.webhooks.WebhookDispatcher} of every API node claims due rows with
 * {@code FOR UPDATE SKIP LOCKED}, sends them, and retries failures with exponential backoff. See
 * {@code docs/webhooks.md}.
 *
 * <p>Depends on the published API of {@code jobs}, {@code models} and {@code evaluations} (their events),
 * {@code rewards} (the host allow-list and the secrets cipher), {@code workers} (the node's role), {@code teams} and
 * {@code web}. Nothing depends on it.
 */
package dev.tropism.webhooks;
