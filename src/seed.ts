// `npm run seed`: demo accounts and jobs with offers in every state, so that the dashboard looks alive on
// first start. It goes through the same domain functions as REST and sockets, so the offer log is complete.
import type { CleaningType } from './contract/schemas.ts';
import { ConfigError, loadConfig, withDotEnv, type Config } from './config.ts';
import { User } from './db/entities/index.ts';
import { openOrm, type Em } from './db/orm.ts';
import { findUserByEmail, registerUser } from './domain/accounts.ts';
import { createCleaning } from './domain/cleanings.ts';
import type { Actor, Deps } from './domain/context.ts';
import { acceptOffer, cancelOffer, createOffer, rescindOffer } from './domain/offers.ts';
import { updateOwnProfile } from './domain/profiles.ts';
import { createTokenService } from './domain/tokens.ts';
import { createLogger } from './logger.ts';

/** Every demo account shares this password (it is printed; never seed a database that faces the internet). */
export const DEMO_PASSWORD = 'phresh-demo';

/** The demo accounts: one owner and three cleaners. */
export const DEMO_USERS = [
  { username: 'olivia', email: 'olivia@example.com', fullName: 'Olivia Owner', role: 'owner' },
  { username: 'amy', email: 'amy@example.com', fullName: 'Amy Cleaner', role: 'cleaner' },
  { username: 'ben', email: 'ben@example.com', fullName: 'Ben Cleaner', role: 'cleaner' },
  { username: 'carla', email: 'carla@example.com', fullName: 'Carla Cleaner', role: 'cleaner' },
] as const;

type Job = { name: string; price: number; cleaning_type: CleaningType; description: string };

const JOBS = {
  spring: {
    name: 'Spring clean, 3-bedroom house',
    price: 180,
    cleaning_type: 'full_clean',
    description: 'Top to bottom, windows inside included.',
  },
  moveOut: {
    name: 'Move-out deep clean',
    price: 320,
    cleaning_type: 'full_clean',
    description: 'Empty flat, keys with the concierge.',
  },
  office: {
    name: 'Weekly office tidy',
    price: 90,
    cleaning_type: 'dust_up',
    description: 'Friday evenings, two hours.',
  },
  carpet: {
    name: 'Red wine on the carpet',
    price: 60,
    cleaning_type: 'spot_clean',
    description: 'One stain, living room.',
  },
  garage: {
    name: 'Garage sweep',
    price: 45,
    cleaning_type: 'dust_up',
    description: 'No offers yet: be the first.',
  },
} satisfies Record<string, Job>;

export type SeedResult = { created: boolean; users: typeof DEMO_USERS; password: string };

/**
 * Fills the database with the demo data, once: if the demo owner exists already it changes nothing.
 * Offers end up in every state: pending, accepted, rejected, cancelled (and one rescinded, in the log).
 */
export async function seedDemoData(config: Config): Promise<SeedResult> {
  const orm = await openOrm(config, { logger: createLogger('warn', undefined, config.logFormat) });
  try {
    const base = { tokens: createTokenService(config.secretKey, 60) };
    // One fork per command, as REST and sockets do: nothing leaks from one unit of work into the next.
    const deps = (): Deps => ({ ...base, em: orm.em.fork() as Em });
    if (await findUserByEmail(deps().em, DEMO_USERS[0].email)) {
      return { created: false, users: DEMO_USERS, password: DEMO_PASSWORD };
    }
    const people: Record<string, Actor> = {};
    for (const user of DEMO_USERS) {
      const created = await registerUser(deps(), {
        username: user.username,
        email: user.email,
        password: DEMO_PASSWORD,
      });
      const d = deps();
      const entity = await d.em.findOneOrFail(User, created.id);
      await updateOwnProfile(d, entity, { full_name: user.fullName });
      people[user.username] = { id: created.id, username: created.username };
    }
    const { olivia, amy, ben, carla } = people as Record<(typeof DEMO_USERS)[number]['username'], Actor>;
    const post = async (job: Job) => (await createCleaning(deps(), olivia, job)).id;

    // Accepted, with the others rejected.
    const moveOut = await post(JOBS.moveOut);
    for (const cleaner of [amy, ben, carla]) await createOffer(deps(), cleaner, moveOut);
    await acceptOffer(deps(), olivia, moveOut, amy.username);

    // Cancelled by the accepted cleaner: the rejected offer is pending again.
    const office = await post(JOBS.office);
    for (const cleaner of [ben, carla]) await createOffer(deps(), cleaner, office);
    await acceptOffer(deps(), olivia, office, ben.username);
    await cancelOffer(deps(), ben, office);

    // Pending, one of them withdrawn.
    const spring = await post(JOBS.spring);
    for (const cleaner of [amy, ben, carla]) await createOffer(deps(), cleaner, spring);
    await rescindOffer(deps(), carla, spring);

    const carpet = await post(JOBS.carpet);
    await createOffer(deps(), carla, carpet);

    await post(JOBS.garage);
    return { created: true, users: DEMO_USERS, password: DEMO_PASSWORD };
  } finally {
    await orm.close(true);
  }
}

if (import.meta.main) {
  try {
    const config = loadConfig(withDotEnv(process.env));
    const result = await seedDemoData(config);
    const where = config.databaseUrl ? 'PostgreSQL' : config.dataDir;
    console.log(
      result.created
        ? `Demo data added to ${where}: 5 jobs, offers in every state.`
        : `Demo data is already in ${where}; nothing changed.`,
    );
    console.log(`Sign in at http://localhost:${config.port}/ with password "${result.password}" as:`);
    for (const user of result.users) console.log(`  ${user.email.padEnd(20)} ${user.role}`);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : e);
    process.exitCode = 1;
  }
}
