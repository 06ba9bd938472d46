/**
 * JSON parsing shared by every capability: {@link io.tributary.transforms.json.ParseJson} turns
 * raw records into typed elements and failures with reasons; {@link
 * io.tributary.transforms.json.JsonFields} reads typed fields. Artifact {@code tributary-core}.
 */
package io.tributary.transforms.json;
