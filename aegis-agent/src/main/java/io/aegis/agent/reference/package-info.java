/**
 * The reference agent behind {@code bin/aegis agent}: a thin, line-oriented shell around
 * {@link io.aegis.agent.AgentClient} for trying the gateway out, scripting, and as an example of
 * the SDK.
 */
package io.aegis.agent.reference;
