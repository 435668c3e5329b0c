/** Defaults of `serve`'s options (docs/interface.md): --node-ttl 15s, --reclaim-after 60s, --cluster-timeout 5s. Kept apart from attach.ts so the CLI reads them without loading the etcd client. */
export const clusterDefaults = { ttlMs: 15_000, reclaimAfterMs: 60_000, timeoutMs: 5_000 } as const;
