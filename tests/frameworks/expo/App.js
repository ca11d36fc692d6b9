// An Expo app: decodeJwt while rendering, useSession of the client that window.app.run creates
// (on the web, where the test drives it).
import { useEffect, useState } from 'react';
import { Text, View } from 'react-native';
import { decodeJwt } from 'authlane';
import { useSession } from 'authlane/react';
import { SAMPLE, run } from './scenario';

export default function App() {
  const [client, setClient] = useState(null);
  const { authenticated, claims, refreshing } = useSession(client);
  useEffect(() => {
    if (typeof window === 'undefined') return;
    window.app = { run: (input) => run(input, setClient) };
    window.ready = true;
  }, []);
  return (
    <View>
      <Text testID="decoded">{decodeJwt(SAMPLE).name}</Text>
      <Text testID="session">{authenticated ? `signed in as ${claims.name}` : 'signed out'}{refreshing ? ', refreshing' : ''}</Text>
    </View>
  );
}
