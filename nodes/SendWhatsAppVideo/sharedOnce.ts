/**
 * One piece of work per key and run, shared by every item that needs it, items in flight together
 * included (an upload of the same video, the listing of an account's templates). A failure is
 * forgotten, so the next item tries again.
 */
export async function sharedOnce<T>(shared: Map<string, Promise<T>>, key: string, start: () => Promise<T>): Promise<T> {
	let work = shared.get(key);
	if (!work) {
		work = start().catch((error: unknown) => {
			shared.delete(key);
			throw error;
		});
		shared.set(key, work);
	}
	return await work;
}
