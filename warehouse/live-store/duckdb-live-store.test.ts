import { DuckDbLiveStore } from './duckdb-live-store';
import { runLiveStoreContract } from './live-store.contract';

runLiveStoreContract('duckdb', async () => {
  const store = await DuckDbLiveStore.open(':memory:');
  await store.migrate();
  return store;
});
