package io.aegis.server.artifact;

/** An artifact's bytes held by the gateway ({@code bytes}), or the URL they are at ({@code downloadUrl}). */
public record ArtifactContent(String sha256, byte[] bytes, String downloadUrl) {}
