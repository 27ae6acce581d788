/** Small preferences of this device, each under its own key. */
import type { WhisperDatabase } from './database.js';

export interface Settings {
  name: string;
  relayOnly: boolean;
  /** Connections to people whose safety number was not verified here carry nothing until they are. */
  onlyVerified: boolean;
  /** Rooms opened on this device, most recent first. */
  recentRooms: string[];
  /** "Notify me when I'm away" (Web Push): null until decided; a call made or answered turns it on. */
  notifyWhenAway: boolean | null;
  /** The "Add to Home Screen" guide (iPhone and iPad) was dismissed. */
  installGuideDismissed: boolean;
}

const DEFAULTS: Settings = { name: '', relayOnly: false, onlyVerified: false, recentRooms: [], notifyWhenAway: null, installGuideDismissed: false };

export class SettingsStore {
  constructor(private readonly db: WhisperDatabase) {}

  async get<K extends keyof Settings>(key: K): Promise<Settings[K]> {
    const value = (await this.db.get('settings', key)) as Settings[K] | undefined;
    return value ?? DEFAULTS[key];
  }

  async set<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
    await this.db.put('settings', value, key);
  }
}
