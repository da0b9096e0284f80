//! The cookies crumb itself sets. They are part of every site's declaration,
//! so the banner, the policy page and the blocking rules cover them too.

use std::collections::BTreeMap;

use crate::category::Category;
use crate::declaration::{CookieDeclaration, Lifetime, Provider};

/// Names of crumb's own cookies. With secure origins they carry the
/// `__Host-` prefix (Secure, no Domain, Path=/); on plain-http origins
/// other than loopback they cannot, and drop it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnCookieNames {
    /// The visit (browsing session): necessary, a session cookie.
    pub session: String,
    /// The visitor's consent decision: necessary.
    pub consent: String,
    /// The persistent visitor id: statistics.
    pub visitor: String,
    /// Language and theme: preferences.
    pub preferences: String,
    /// The signed-in session: necessary, a session cookie.
    pub auth: String,
    /// Remember me: necessary once the user asks for it.
    pub remember: String,
    /// Which of the user's devices this browser is: necessary for signed-in users.
    pub device: String,
    /// The signed "device cookie" (OWASP): this browser signed in to an
    /// account before, so its sign-ins to that account are throttled on
    /// their own and not locked out by others' failures. Necessary; `SameSite=Strict`.
    pub trusted_device: String,
    /// Whether the names carry `__Host-` and the cookies are `Secure`.
    pub secure: bool,
}

impl OwnCookieNames {
    /// The names for secure (`__Host-`) or insecure origins.
    pub fn new(secure: bool) -> Self {
        let prefix = if secure { "__Host-" } else { "" };
        OwnCookieNames {
            session: format!("{prefix}crumb_session"),
            consent: format!("{prefix}crumb_consent"),
            visitor: format!("{prefix}crumb_vid"),
            preferences: format!("{prefix}crumb_prefs"),
            auth: format!("{prefix}crumb_auth"),
            remember: format!("{prefix}crumb_remember"),
            device: format!("{prefix}crumb_device"),
            trusted_device: format!("{prefix}crumb_trusted"),
            secure,
        }
    }
}

/// The visitor id lives 395 days (13 months), under the 400-day cap.
pub const VISITOR_LIFETIME_SECONDS: i64 = 395 * 86_400;
/// Preferences live 365 days.
pub const PREFERENCES_LIFETIME_SECONDS: i64 = 365 * 86_400;

/// A text in each of crumb's first eight languages (the others show the
/// site's default language's; see docs/languages.md).
type Purposes = [(&'static str, &'static str); 8];

fn purposes(texts: Purposes) -> BTreeMap<String, String> {
    texts.into_iter().map(|(code, text)| (code.to_owned(), text.to_owned())).collect()
}

/// Devices are remembered as long as the longest remember-me token.
pub const DEVICE_LIFETIME_SECONDS: i64 = 400 * 86_400;
/// A browser stays trusted for sign-ins to an account for a year after
/// its latest successful sign-in (each one issues the cookie again).
pub const TRUSTED_DEVICE_LIFETIME_SECONDS: i64 = 365 * 86_400;

/// The declarations of crumb's own cookies: `__Host-` and `Secure` when
/// `secure`; with accounts (`remember_days` given), the sign-in cookies too.
pub fn declarations(secure: bool, consent_days: u32, remember_days: Option<u32>) -> Vec<CookieDeclaration> {
    let names = OwnCookieNames::new(secure);
    let own = |name: String, category, lifetime, purpose| CookieDeclaration {
        name,
        category,
        purpose,
        lifetime,
        provider: Provider::FirstParty,
        domain: None,
        path: "/".to_owned(),
        secure,
        http_only: true,
        set_by_crumb: true,
    };
    let mut declarations = vec![
        own(names.session, Category::Necessary, Lifetime::Session, purposes(SESSION_PURPOSE)),
        own(
            names.consent,
            Category::Necessary,
            Lifetime::Seconds(i64::from(consent_days) * 86_400),
            purposes(CONSENT_PURPOSE),
        ),
        own(
            names.visitor,
            Category::Statistics,
            Lifetime::Seconds(VISITOR_LIFETIME_SECONDS),
            purposes(VISITOR_PURPOSE),
        ),
        own(
            names.preferences,
            Category::Preferences,
            Lifetime::Seconds(PREFERENCES_LIFETIME_SECONDS),
            purposes(PREFERENCES_PURPOSE),
        ),
    ];
    if let Some(remember_days) = remember_days {
        declarations.push(own(names.auth, Category::Necessary, Lifetime::Session, purposes(AUTH_PURPOSE)));
        declarations.push(own(
            names.remember,
            Category::Necessary,
            Lifetime::Seconds(i64::from(remember_days) * 86_400),
            purposes(REMEMBER_PURPOSE),
        ));
        declarations.push(own(
            names.device,
            Category::Necessary,
            Lifetime::Seconds(DEVICE_LIFETIME_SECONDS),
            purposes(DEVICE_PURPOSE),
        ));
        declarations.push(own(
            names.trusted_device,
            Category::Necessary,
            Lifetime::Seconds(TRUSTED_DEVICE_LIFETIME_SECONDS),
            purposes(TRUSTED_DEVICE_PURPOSE),
        ));
    }
    declarations
}

/// Purpose of the session cookie, per language.
const SESSION_PURPOSE: Purposes = [
    ("en", "Keeps your visit together while you browse; deleted when you close the browser."),
    ("fr", "Relie les pages de votre visite ; supprimé à la fermeture du navigateur."),
    ("de", "Hält Ihren Besuch zusammen, solange Sie surfen; wird beim Schließen des Browsers gelöscht."),
    ("es", "Mantiene unida su visita mientras navega; se borra al cerrar el navegador."),
    ("it", "Tiene insieme la sua visita durante la navigazione; eliminato alla chiusura del browser."),
    ("nl", "Houdt uw bezoek bij elkaar tijdens het surfen; verwijderd bij het sluiten van de browser."),
    ("pt", "Mantém a sua visita ligada enquanto navega; apagado ao fechar o navegador."),
    ("pl", "Łączy strony Państwa wizyty; usuwany po zamknięciu przeglądarki."),
];

/// Purpose of the consent cookie, per language.
const CONSENT_PURPOSE: Purposes = [
    ("en", "Remembers your cookie choices so we do not ask again, and proves what you agreed to."),
    ("fr", "Mémorise vos choix de cookies pour ne pas vous redemander, et prouve ce que vous avez accepté."),
    ("de", "Speichert Ihre Cookie-Auswahl, damit wir nicht erneut fragen, und belegt Ihre Zustimmung."),
    ("es", "Recuerda sus preferencias de cookies para no volver a preguntar y acredita lo que aceptó."),
    ("it", "Ricorda le sue scelte sui cookie per non chiederle di nuovo e attesta ciò che ha accettato."),
    ("nl", "Onthoudt uw cookiekeuzes zodat we niet opnieuw vragen, en bewijst waarmee u instemde."),
    ("pt", "Guarda as suas escolhas de cookies para não voltarmos a perguntar e prova o que aceitou."),
    ("pl", "Zapamiętuje Państwa wybory dotyczące plików cookie i dokumentuje udzieloną zgodę."),
];

/// Purpose of the visitor cookie, per language.
const VISITOR_PURPOSE: Purposes = [
    ("en", "A random number that tells us whether you visited before, for anonymous statistics only."),
    ("fr", "Un numéro aléatoire qui indique si vous êtes déjà venu, pour des statistiques anonymes uniquement."),
    ("de", "Eine Zufallszahl, an der wir erkennen, ob Sie schon einmal da waren – nur für anonyme Statistiken."),
    ("es", "Un número aleatorio que indica si ya nos visitó, solo para estadísticas anónimas."),
    ("it", "Un numero casuale che indica se è già stato qui, solo per statistiche anonime."),
    ("nl", "Een willekeurig nummer waaraan we zien of u eerder kwam, alleen voor anonieme statistieken."),
    ("pt", "Um número aleatório que indica se já nos visitou, apenas para estatísticas anónimas."),
    ("pl", "Losowy numer pozwalający rozpoznać powracające wizyty, wyłącznie do anonimowych statystyk."),
];

/// Purpose of the preferences cookie, per language.
const PREFERENCES_PURPOSE: Purposes = [
    ("en", "Remembers the language and theme you chose."),
    ("fr", "Mémorise la langue et le thème que vous avez choisis."),
    ("de", "Merkt sich die gewählte Sprache und das Farbschema."),
    ("es", "Recuerda el idioma y el tema que eligió."),
    ("it", "Ricorda la lingua e il tema che ha scelto."),
    ("nl", "Onthoudt de gekozen taal en het thema."),
    ("pt", "Guarda o idioma e o tema que escolheu."),
    ("pl", "Zapamiętuje wybrany język i motyw."),
];

/// Purpose of the auth cookie, per language.
const AUTH_PURPOSE: Purposes = [
    ("en", "Keeps you signed in during this visit. It holds a random number, never your password."),
    ("fr", "Vous garde connecté pendant cette visite. Il contient un numéro aléatoire, jamais votre mot de passe."),
    ("de", "Hält Sie während dieses Besuchs angemeldet. Enthält eine Zufallszahl, nie Ihr Passwort."),
    ("es", "Mantiene su sesión iniciada durante esta visita. Contiene un número aleatorio, nunca su contraseña."),
    ("it", "La mantiene connesso durante questa visita. Contiene un numero casuale, mai la sua password."),
    ("nl", "Houdt u aangemeld tijdens dit bezoek. Bevat een willekeurig nummer, nooit uw wachtwoord."),
    ("pt", "Mantém a sessão iniciada durante esta visita. Contém um número aleatório, nunca a sua palavra-passe."),
    ("pl", "Utrzymuje zalogowanie podczas tej wizyty. Zawiera losowy numer, nigdy hasło."),
];

/// Purpose of the remember cookie, per language.
const REMEMBER_PURPOSE: Purposes = [
    ("en", "Only if you tick \"Remember me\": signs you in again on this device. It changes at every use and never holds your password."),
    ("fr", "Seulement si vous cochez « Se souvenir de moi » : vous reconnecte sur cet appareil. Il change à chaque usage et ne contient jamais votre mot de passe."),
    ("de", "Nur wenn Sie „Angemeldet bleiben“ wählen: meldet Sie auf diesem Gerät wieder an. Ändert sich bei jeder Nutzung, enthält nie Ihr Passwort."),
    ("es", "Solo si marca «Recordarme»: vuelve a iniciar su sesión en este dispositivo. Cambia en cada uso y nunca contiene su contraseña."),
    ("it", "Solo se seleziona «Ricordami»: la riconnette su questo dispositivo. Cambia a ogni uso e non contiene mai la sua password."),
    ("nl", "Alleen als u „Onthoud mij” aanvinkt: meldt u opnieuw aan op dit apparaat. Verandert bij elk gebruik, bevat nooit uw wachtwoord."),
    ("pt", "Só se marcar «Lembrar-me»: volta a iniciar a sessão neste dispositivo. Muda a cada utilização e nunca contém a sua palavra-passe."),
    ("pl", "Tylko po zaznaczeniu „Zapamiętaj mnie”: ponownie loguje na tym urządzeniu. Zmienia się przy każdym użyciu, nigdy nie zawiera hasła."),
];

/// Purpose of the device cookie, per language.
const DEVICE_PURPOSE: Purposes = [
    ("en", "Set when you sign in: tells which of your devices this is, so you can see and sign out your devices."),
    ("fr", "Déposé à la connexion : indique lequel de vos appareils est celui-ci, pour que vous puissiez les voir et les déconnecter."),
    ("de", "Beim Anmelden gesetzt: erkennt, welches Ihrer Geräte dies ist, damit Sie Ihre Geräte sehen und abmelden können."),
    ("es", "Se crea al iniciar sesión: indica cuál de sus dispositivos es este, para que pueda verlos y cerrar su sesión."),
    ("it", "Impostato all'accesso: indica quale dei suoi dispositivi è questo, per vederli e disconnetterli."),
    ("nl", "Gezet bij het aanmelden: geeft aan welk van uw apparaten dit is, zodat u ze kunt zien en afmelden."),
    ("pt", "Criado ao iniciar sessão: indica qual dos seus dispositivos é este, para os poder ver e terminar a sessão."),
    ("pl", "Ustawiany przy logowaniu: wskazuje, które to z Państwa urządzeń, aby można je było przeglądać i wylogować."),
];

/// Purpose of the trusted-device cookie, per language.
const TRUSTED_DEVICE_PURPOSE: Purposes = [
    ("en", "Set when you sign in: a signed note that this browser signed in to your account before, so that others' failed attempts to guess your password cannot lock you out here. It never holds your password."),
    ("fr", "Déposé à la connexion : une mention signée indiquant que ce navigateur s'est déjà connecté à votre compte, pour que les tentatives d'autrui de deviner votre mot de passe ne puissent pas vous bloquer ici. Il ne contient jamais votre mot de passe."),
    ("de", "Beim Anmelden gesetzt: ein signierter Vermerk, dass sich dieser Browser schon einmal bei Ihrem Konto angemeldet hat, damit fremde Versuche, Ihr Passwort zu erraten, Sie hier nicht aussperren können. Enthält nie Ihr Passwort."),
    ("es", "Se crea al iniciar sesión: una nota firmada de que este navegador ya inició sesión en su cuenta, para que los intentos ajenos de adivinar su contraseña no puedan bloquearle aquí. Nunca contiene su contraseña."),
    ("it", "Impostato all'accesso: una nota firmata che questo browser ha già avuto accesso al suo account, così i tentativi altrui di indovinare la sua password non possono bloccarla qui. Non contiene mai la sua password."),
    ("nl", "Gezet bij het aanmelden: een ondertekende notitie dat deze browser al eerder bij uw account aanmeldde, zodat pogingen van anderen om uw wachtwoord te raden u hier niet kunnen buitensluiten. Bevat nooit uw wachtwoord."),
    ("pt", "Criado ao iniciar sessão: uma nota assinada de que este navegador já iniciou sessão na sua conta, para que as tentativas de outros de adivinhar a sua palavra-passe não o possam bloquear aqui. Nunca contém a sua palavra-passe."),
    ("pl", "Ustawiany przy logowaniu: podpisana informacja, że ta przeglądarka logowała się już do Państwa konta, aby cudze próby odgadnięcia hasła nie mogły Państwa tu zablokować. Nigdy nie zawiera hasła."),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The trusted-device cookie is declared with the sign-in cookies, so the
    /// policy page lists it, with its purpose in every language and its lifetime.
    #[test]
    fn the_trusted_device_cookie_is_declared_and_on_the_policy_in_every_language() {
        let without = declarations(true, 180, None);
        assert!(without.iter().all(|d| d.name != "__Host-crumb_trusted"), "only with accounts");
        let config = crate::config::demo();
        for code in crate::i18n::codes() {
            let language = crate::i18n::Language::parse(code).unwrap();
            let policy = crate::policy::build(&config, language);
            let necessary = policy.categories.iter().find(|c| c.id == "necessary").unwrap();
            let cookie = necessary.cookies.iter().find(|c| c.name == "__Host-crumb_trusted").unwrap();
            // Languages without a text of their own show the site's default language's.
            let own = |code: &str| TRUSTED_DEVICE_PURPOSE.iter().find(|(c, _)| *c == code).map(|(_, text)| *text);
            let expected = own(code).or_else(|| own(config.default_language().code())).unwrap();
            assert_eq!(cookie.purpose, expected, "{code}");
            assert_eq!(cookie.lifetime_seconds, Some(TRUSTED_DEVICE_LIFETIME_SECONDS), "{code}");
        }
    }
}
