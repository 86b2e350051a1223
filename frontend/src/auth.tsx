import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { checkKey, setUnauthorizedHandler, storedKey, storeKey } from './api';

interface Auth {
  signedIn: boolean;
  /** Why the user was signed out, when it was not their choice. */
  notice: string | null;
  signIn(key: string): Promise<void>;
  signOut(): void;
}

const AuthContext = createContext<Auth | null>(null);

/** The API key lives in session storage only: it is gone when the tab closes. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      storeKey(null);
      setSignedIn(false);
      setNotice('Your API key was refused; sign in again.');
    });
  }, []);
  const value: Auth = {
    signedIn,
    notice,
    async signIn(key) {
      await checkKey(key.trim());
      storeKey(key.trim());
      setNotice(null);
      setSignedIn(true);
    },
    signOut() {
      storeKey(null);
      setNotice(null);
      setSignedIn(false);
    },
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}
