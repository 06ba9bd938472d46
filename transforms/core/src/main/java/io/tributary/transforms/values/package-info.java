/**
 * Typed values ({@code Value}, {@code Column}): construction, text and JSON forms, and schema
 * fingerprints, shared by CDC, the lake, the Redis writer and the feature store. Artifact {@code
 * tributary-core}.
 */
package io.tributary.transforms.values;
