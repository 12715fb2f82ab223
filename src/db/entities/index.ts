import { User } from './user.ts';
import { Profile } from './profile.ts';
import { Cleaning } from './cleaning.ts';
import { Offer } from './offer.ts';
import { OfferEvent } from './offer-event.ts';

export { User, Profile, Cleaning, Offer, OfferEvent };

/** Every entity the ORM maps, in one list for the configuration. */
export const entities = [User, Profile, Cleaning, Offer, OfferEvent];
