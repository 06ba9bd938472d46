/**
 * Change data capture: {@link io.tributary.transforms.cdc.DebeziumChanges#parse()} reads Debezium
 * records (from Kafka or the embedded capture) into {@code ChangeEvent}s; {@link
 * io.tributary.transforms.cdc.CdcRouting} routes them by rules to lake rows, Redis mutations and
 * feature rows; {@link io.tributary.transforms.cdc.Outbox} and {@link
 * io.tributary.transforms.cdc.EventStreams} handle outbox events, logs and sensors. Artifact
 * {@code tributary-cdc}: core and Jackson YAML; the sinks are in io-redis, io-lake and features.
 */
package io.tributary.transforms.cdc;
