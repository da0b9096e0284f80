//! The cookies crumb itself sets. They are part of every site's declaration,
//! so the banner, the policy page and the blocking rules cover them too.

use std::collections::BTreeMap;

use crate::category::Category;
use crate::config::{CookieDeclaration, Lifetime, Provider};

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
            secure,
        }
    }
}

/// The visitor id lives 395 days (13 months), under the 400-day cap.
pub const VISITOR_LIFETIME_SECONDS: i64 = 395 * 86_400;
/// Preferences live 365 days.
pub const PREFERENCES_LIFETIME_SECONDS: i64 = 365 * 86_400;

fn purposes(texts: [(&str, &str); 8]) -> BTreeMap<String, String> {
    texts.into_iter().map(|(code, text)| (code.to_owned(), text.to_owned())).collect()
}

/// The declarations of crumb's own cookies.
pub fn declarations(secure: bool, consent_days: u32) -> Vec<CookieDeclaration> {
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
    vec![
        own(
            names.session,
            Category::Necessary,
            Lifetime::Session,
            purposes([
                ("en", "Keeps your visit together while you browse; deleted when you close the browser."),
                ("fr", "Relie les pages de votre visite ; supprimé à la fermeture du navigateur."),
                ("de", "Hält Ihren Besuch zusammen, solange Sie surfen; wird beim Schließen des Browsers gelöscht."),
                ("es", "Mantiene unida su visita mientras navega; se borra al cerrar el navegador."),
                ("it", "Tiene insieme la tua visita mentre navighi; eliminato alla chiusura del browser."),
                ("nl", "Houdt uw bezoek bij elkaar tijdens het surfen; verwijderd bij het sluiten van de browser."),
                ("pt", "Mantém a sua visita ligada enquanto navega; apagado ao fechar o navegador."),
                ("pl", "Łączy strony Twojej wizyty; usuwany po zamknięciu przeglądarki."),
            ]),
        ),
        own(
            names.consent,
            Category::Necessary,
            Lifetime::Seconds(i64::from(consent_days) * 86_400),
            purposes([
                ("en", "Remembers your cookie choices so we do not ask again, and proves what you agreed to."),
                ("fr", "Mémorise vos choix de cookies pour ne pas vous redemander, et prouve ce que vous avez accepté."),
                ("de", "Speichert Ihre Cookie-Auswahl, damit wir nicht erneut fragen, und belegt Ihre Zustimmung."),
                ("es", "Recuerda sus preferencias de cookies para no volver a preguntar y acredita lo que aceptó."),
                ("it", "Ricorda le tue scelte sui cookie per non chiedere di nuovo e prova ciò che hai accettato."),
                ("nl", "Onthoudt uw cookiekeuzes zodat we niet opnieuw vragen, en bewijst waarmee u instemde."),
                ("pt", "Guarda as suas escolhas de cookies para não voltarmos a perguntar e prova o que aceitou."),
                ("pl", "Zapamiętuje Twoje wybory dotyczące cookies i dokumentuje udzieloną zgodę."),
            ]),
        ),
        own(
            names.visitor,
            Category::Statistics,
            Lifetime::Seconds(VISITOR_LIFETIME_SECONDS),
            purposes([
                ("en", "A random number that tells us whether you visited before, for anonymous statistics only."),
                ("fr", "Un numéro aléatoire qui indique si vous êtes déjà venu, pour des statistiques anonymes uniquement."),
                ("de", "Eine Zufallszahl, an der wir erkennen, ob Sie schon einmal da waren – nur für anonyme Statistiken."),
                ("es", "Un número aleatorio que indica si ya nos visitó, solo para estadísticas anónimas."),
                ("it", "Un numero casuale che indica se sei già stato qui, solo per statistiche anonime."),
                ("nl", "Een willekeurig nummer waaraan we zien of u eerder kwam, alleen voor anonieme statistieken."),
                ("pt", "Um número aleatório que indica se já nos visitou, apenas para estatísticas anónimas."),
                ("pl", "Losowy numer pozwalający rozpoznać powracające wizyty, wyłącznie do anonimowych statystyk."),
            ]),
        ),
        own(
            names.preferences,
            Category::Preferences,
            Lifetime::Seconds(PREFERENCES_LIFETIME_SECONDS),
            purposes([
                ("en", "Remembers the language and theme you chose."),
                ("fr", "Mémorise la langue et le thème que vous avez choisis."),
                ("de", "Merkt sich die gewählte Sprache und das Farbschema."),
                ("es", "Recuerda el idioma y el tema que eligió."),
                ("it", "Ricorda la lingua e il tema che hai scelto."),
                ("nl", "Onthoudt de gekozen taal en het thema."),
                ("pt", "Guarda o idioma e o tema que escolheu."),
                ("pl", "Zapamiętuje wybrany język i motyw."),
            ]),
        ),
    ]
}
