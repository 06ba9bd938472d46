/**
 * Embedded change capture: {@link io.tributary.transforms.cdc.capture.DebeziumCapture} runs
 * Debezium's engine as a Beam source of the {@code ConnectRecord}s that {@code
 * DebeziumChanges.parse()} reads, with offsets finalized with Beam checkpoints. Artifact {@code
 * tributary-cdc-capture}: cdc, Debezium embedded and Kafka Connect; add your database's connector.
 */
package io.tributary.transforms.cdc.capture;
