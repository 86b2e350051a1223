import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { checkKey, setUnauthorizedHandler, storedKey, storedTeam, storeKey, type Team } from './api';

interface Auth {
  signedIn: boolean;
  /** Whether this is the admin key (acting for `team`): it alone sees the workers. */
  admin: boolean;
  /** The team the admin key acts for; null for a team key. */
  team: string | null;
  /** Why the user was signed out, when it was not their choice. */
  notice: string | null;
  /**
   * Checks and keeps the key (with the team the admin key acts for). Resolves with null once signed in, or
   * with the teams to choose from when `key` is the admin key and no team was given.
   */
  signIn(key: string, team?: string | null): Promise<Team[] | null>;
  signOut(): void;
}

const AuthContext = createContext<Auth | null>(null);

/** The API key lives in session storage only: it is gone when the tab closes. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  const [team, setTeam] = useState(() => storedTeam());
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      storeKey(null);
      setSignedIn(false);
      setTeam(null);
      setNotice('Your API key was refused; sign in again.');
    });
  }, []);
  const value: Auth = {
    signedIn,
    admin: signedIn && team !== null,
    team: signedIn ? team : null,
    notice,
    async signIn(key, chosen = null) {
      const teams = await checkKey(key.trim(), chosen);
      if (teams) return teams;
      storeKey(key.trim(), chosen);
      setTeam(chosen);
      setNotice(null);
      setSignedIn(true);
      return null;
    },
    signOut() {
      storeKey(null);
      setNotice(null);
      setSignedIn(false);
      setTeam(null);
    },
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}
