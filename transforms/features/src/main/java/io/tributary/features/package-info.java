/**
 * The feature store: {@link io.tributary.features.FeatureStore} serves {@code FeatureRow}s online
 * from Redis (newest version per feature wins) and keeps them offline in the lake. Artifact {@code
 * tributary-features}: io-redis and io-lake.
 */
package io.tributary.features;
