/**
 * Web activity: {@link io.tributary.transforms.activity.WebActivity} ranks pages and referrers
 * over exact sliding windows, counts active users and sessionizes users. Artifact {@code
 * tributary-activity}: core only.
 */
package io.tributary.transforms.activity;
