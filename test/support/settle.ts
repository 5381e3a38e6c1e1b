/** True when `promise` settles (either way) before the next turn of the event loop: no clock moved, no timer ran. */
export const settledWithinOneTick = async (promise: Promise<unknown>): Promise<boolean> => {
  let settled = false
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}
