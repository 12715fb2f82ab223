/** A list of integers as one PostgreSQL array parameter (`?::int[]`, `?::bigint[]`): one placeholder whatever its length. */
export const intArray = (values: readonly number[]) => `{${values.join(',')}}`;
