/** Coders shared by the transforms. Artifact {@code tributary-core}. */
package io.tributary.transforms.coders;
