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

/// A text in each of crumb's 24 languages, in the register each one uses
/// (see docs/languages.md); a test checks every one is there.
type Purposes = [(&'static str, &'static str); 24];

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
    ("bg", "Свързва страниците от посещението Ви, докато разглеждате сайта; изтрива се, когато затворите браузъра."),
    ("cs", "Propojuje stránky vaší návštěvy během prohlížení; smaže se, když zavřete prohlížeč."),
    ("da", "Holder dit besøg samlet, mens du browser; slettes, når du lukker browseren."),
    ("el", "Συνδέει τις σελίδες της επίσκεψής σας όσο περιηγείστε· διαγράφεται όταν κλείσετε το πρόγραμμα περιήγησης."),
    ("et", "Hoiab teie külastuse sirvimise ajal koos; kustutatakse brauseri sulgemisel."),
    ("fi", "Pitää käyntisi sivut yhdessä selatessasi; poistetaan, kun suljet selaimen."),
    ("ga", "Coinníonn sé do chuairt le chéile agus tú ag brabhsáil; scriostar é nuair a dhúnann tú an brabhsálaí."),
    ("hr", "Povezuje stranice Vašeg posjeta dok pregledavate; briše se kad zatvorite preglednik."),
    ("hu", "Összekapcsolja látogatása oldalait böngészés közben; a böngésző bezárásakor törlődik."),
    ("lt", "Susieja Jūsų apsilankymo puslapius, kol naršote; ištrinamas uždarius naršyklę."),
    ("lv", "Sasaista Jūsu apmeklējuma lapas, kamēr pārlūkojat vietni; tiek dzēsta, kad aizverat pārlūku."),
    ("mt", "Iżomm iż-żjara tiegħek flimkien waqt li tibbrawżja; jitħassar meta tagħlaq il-browser."),
    ("ro", "Leagă paginile vizitei dumneavoastră cât timp navigați; se șterge când închideți browserul."),
    ("sk", "Prepája stránky vašej návštevy počas prehliadania; vymaže sa, keď zatvoríte prehliadač."),
    ("sl", "Povezuje strani vašega obiska med brskanjem; izbriše se, ko zaprete brskalnik."),
    ("sv", "Håller ihop ditt besök medan du surfar; raderas när du stänger webbläsaren."),
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
    ("bg", "Запомня избора Ви за бисквитките, за да не Ви питаме отново, и удостоверява за какво сте дали съгласие."),
    ("cs", "Pamatuje si vaše volby ohledně cookies, abychom se nemuseli ptát znovu, a dokládá, s čím jste souhlasili."),
    ("da", "Husker dine cookievalg, så vi ikke spørger igen, og dokumenterer, hvad du har givet samtykke til."),
    ("el", "Θυμάται τις επιλογές σας για τα cookies, ώστε να μη σας ρωτάμε ξανά, και αποδεικνύει σε τι συγκατατεθήκατε."),
    ("et", "Peab meeles teie küpsisevalikud, et me ei küsiks uuesti, ja tõendab, millega te nõustusite."),
    ("fi", "Muistaa evästevalintasi, jotta emme kysy uudelleen, ja osoittaa, mihin annoit suostumuksesi."),
    ("ga", "Meabhraíonn sé do roghanna fianán ionas nach gcuirfimid an cheist arís, agus cruthaíonn sé cad ar thoiligh tú leis."),
    ("hr", "Pamti Vaš odabir kolačića kako Vas ne bismo ponovno pitali i dokazuje na što ste pristali."),
    ("hu", "Megjegyzi a sütikkel kapcsolatos választását, hogy ne kérdezzük újra, és igazolja, mihez járult hozzá."),
    ("lt", "Įsimena Jūsų pasirinkimus dėl slapukų, kad nebeklaustume iš naujo, ir patvirtina, kam davėte sutikimą."),
    ("lv", "Atceras Jūsu sīkdatņu izvēli, lai mēs nejautātu vēlreiz, un apliecina, kam Jūs piekritāt."),
    ("mt", "Jiftakar l-għażliet tiegħek dwar il-cookies biex ma nerġgħux nistaqsuk, u juri għal xiex tajt il-kunsens tiegħek."),
    ("ro", "Reține alegerile dumneavoastră privind cookie-urile, ca să nu vă întrebăm din nou, și dovedește la ce v-ați dat acordul."),
    ("sk", "Pamätá si vaše voľby týkajúce sa súborov cookie, aby sme sa nemuseli pýtať znova, a preukazuje, s čím ste súhlasili."),
    ("sl", "Zapomni si vašo izbiro glede piškotkov, da vas ne sprašujemo znova, in dokazuje, s čim ste se strinjali."),
    ("sv", "Kommer ihåg dina cookieval så att vi inte frågar igen, och visar vad du har samtyckt till."),
];

/// Purpose of the visitor cookie, per language.
const VISITOR_PURPOSE: Purposes = [
    ("en", "A random number that tells us whether you visited before, for statistics reported only as totals."),
    ("fr", "Un numéro aléatoire qui indique si vous êtes déjà venu, pour des statistiques publiées uniquement sous forme de totaux."),
    ("de", "Eine Zufallszahl, an der wir erkennen, ob Sie schon einmal da waren – nur für Statistiken, die ausschließlich als Summen ausgewiesen werden."),
    ("es", "Un número aleatorio que indica si ya nos visitó, solo para estadísticas que se muestran únicamente como totales."),
    ("it", "Un numero casuale che indica se è già stato qui, solo per statistiche mostrate unicamente come totali."),
    ("nl", "Een willekeurig nummer waaraan we zien of u eerder kwam, alleen voor statistieken die uitsluitend als totalen worden getoond."),
    ("pt", "Um número aleatório que indica se já nos visitou, apenas para estatísticas apresentadas somente como totais."),
    ("pl", "Losowy numer pozwalający rozpoznać powracające wizyty, wyłącznie do statystyk przedstawianych tylko w formie sum."),
    ("bg", "Случайно число, по което разбираме дали сте ни посещавали и преди, само за статистика, показвана единствено като общи суми."),
    ("cs", "Náhodné číslo, podle kterého poznáme, zda u nás nejste poprvé, pouze pro statistiky uváděné jen jako souhrnné počty."),
    ("da", "Et tilfældigt tal, der viser os, om du har besøgt os før – kun til statistik, der alene vises som samlede tal."),
    ("el", "Ένας τυχαίος αριθμός που μας δείχνει αν μας έχετε επισκεφθεί ξανά, μόνο για στατιστικά που εμφανίζονται αποκλειστικά ως σύνολα."),
    ("et", "Juhuslik number, mille järgi näeme, kas olete meid varem külastanud, ainult statistika jaoks, mida näidatakse üksnes koondarvudena."),
    ("fi", "Satunnainen numero, josta näemme, oletko käynyt täällä aiemmin, vain tilastointiin, joka esitetään ainoastaan yhteenlaskettuina lukuina."),
    ("ga", "Uimhir randamach a insíonn dúinn ar thug tú cuairt orainn cheana, le haghaidh staitisticí a thuairiscítear mar iomláin amháin."),
    ("hr", "Nasumičan broj prema kojem znamo jeste li nas već posjetili, samo za statistiku koja se prikazuje isključivo kao ukupni zbrojevi."),
    ("hu", "Véletlenszerű szám, amelyből megtudjuk, járt-e már nálunk, kizárólag összesítve közölt statisztikákhoz."),
    ("lt", "Atsitiktinis skaičius, pagal kurį matome, ar jau lankėtės anksčiau, naudojamas tik statistikai, pateikiamai vien bendromis sumomis."),
    ("lv", "Nejaušs skaitlis, pēc kura redzam, vai šis nav Jūsu pirmais apmeklējums, tikai statistikai, ko rāda vienīgi kopsummās."),
    ("mt", "Numru każwali li jgħidilna jekk żortna qabel, għall-istatistika murija biss bħala totali."),
    ("ro", "Un număr aleatoriu care ne arată dacă ne-ați mai vizitat, doar pentru statistici prezentate exclusiv ca totaluri."),
    ("sk", "Náhodné číslo, podľa ktorého zistíme, či u nás nie ste prvýkrát, len na štatistiky uvádzané iba ako súhrnné počty."),
    ("sl", "Naključna številka, po kateri prepoznamo, ali pri nas niste prvič, samo za statistiko, prikazano le kot skupne vsote."),
    ("sv", "Ett slumpmässigt nummer som visar om du har besökt oss tidigare, endast för statistik som bara redovisas som summor."),
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
    ("bg", "Запомня езика и темата, които сте избрали."),
    ("cs", "Pamatuje si zvolený jazyk a motiv vzhledu."),
    ("da", "Husker det sprog og det tema, du har valgt."),
    ("el", "Θυμάται τη γλώσσα και το θέμα εμφάνισης που επιλέξατε."),
    ("et", "Peab meeles teie valitud keele ja kujundusteema."),
    ("fi", "Muistaa valitsemasi kielen ja teeman."),
    ("ga", "Meabhraíonn sé an teanga agus an téama a roghnaigh tú."),
    ("hr", "Pamti jezik i temu koje ste odabrali."),
    ("hu", "Megjegyzi a választott nyelvet és témát."),
    ("lt", "Įsimena Jūsų pasirinktą kalbą ir temą."),
    ("lv", "Atceras Jūsu izvēlēto valodu un noformējuma motīvu."),
    ("mt", "Jiftakar il-lingwa u t-tema li għażilt."),
    ("ro", "Reține limba și tema pe care le-ați ales."),
    ("sk", "Pamätá si zvolený jazyk a motív vzhľadu."),
    ("sl", "Zapomni si izbrani jezik in temo."),
    ("sv", "Kommer ihåg det språk och det tema du har valt."),
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
    ("bg", "Запазва влизането Ви в профила по време на това посещение. Съдържа случайно число, никога паролата Ви."),
    ("cs", "Udržuje vaše přihlášení během této návštěvy. Obsahuje náhodné číslo, nikdy vaše heslo."),
    ("da", "Holder dig logget ind under dette besøg. Den indeholder et tilfældigt tal, aldrig din adgangskode."),
    ("el", "Διατηρεί τη σύνδεσή σας κατά την επίσκεψη αυτή. Περιέχει έναν τυχαίο αριθμό, ποτέ τον κωδικό πρόσβασής σας."),
    ("et", "Hoiab teid selle külastuse ajal sisselogituna. Sisaldab juhuslikku numbrit, mitte kunagi teie parooli."),
    ("fi", "Pitää sinut kirjautuneena tämän käynnin ajan. Sisältää satunnaisen numeron, ei koskaan salasanaasi."),
    ("ga", "Coinníonn sé logáilte isteach thú le linn na cuairte seo. Tá uimhir randamach ann, ní do phasfhocal riamh."),
    ("hr", "Održava Vašu prijavu tijekom ovog posjeta. Sadrži nasumičan broj, nikada Vašu lozinku."),
    ("hu", "Bejelentkezve tartja Önt a látogatás idejére. Véletlenszerű számot tartalmaz, soha nem az Ön jelszavát."),
    ("lt", "Palaiko Jūsų prisijungimą šio apsilankymo metu. Jame saugomas atsitiktinis skaičius, niekada ne Jūsų slaptažodis."),
    ("lv", "Saglabā Jūsu pieteikšanos šī apmeklējuma laikā. Tajā ir nejaušs skaitlis, nekad ne Jūsu parole."),
    ("mt", "Iżommok illoggjat matul din iż-żjara. Fih numru każwali, qatt il-password tiegħek."),
    ("ro", "Vă păstrează autentificarea pe durata acestei vizite. Conține un număr aleatoriu, niciodată parola dumneavoastră."),
    ("sk", "Udržiava vaše prihlásenie počas tejto návštevy. Obsahuje náhodné číslo, nikdy vaše heslo."),
    ("sl", "Ohranja vašo prijavo med tem obiskom. Vsebuje naključno številko, nikoli vašega gesla."),
    ("sv", "Håller dig inloggad under det här besöket. Den innehåller ett slumpmässigt nummer, aldrig ditt lösenord."),
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
    ("bg", "Само ако отметнете „Запомни ме“: влиза отново в профила Ви на това устройство. Променя се при всяко използване и никога не съдържа паролата Ви."),
    ("cs", "Jen pokud zaškrtnete „Zapamatovat si mě“: na tomto zařízení vás znovu přihlásí. Mění se při každém použití a nikdy neobsahuje vaše heslo."),
    ("da", "Kun hvis du sætter flueben ved “Husk mig”: logger dig ind igen på denne enhed. Den skifter ved hver brug og indeholder aldrig din adgangskode."),
    ("el", "Μόνο αν επιλέξετε «Να με θυμάσαι»: σας συνδέει ξανά σε αυτή τη συσκευή. Αλλάζει σε κάθε χρήση και δεν περιέχει ποτέ τον κωδικό πρόσβασής σας."),
    ("et", "Ainult siis, kui märgite „Jäta mind meelde”: logib teid selles seadmes uuesti sisse. Muutub iga kasutusega ega sisalda kunagi teie parooli."),
    ("fi", "Vain jos valitset ”Muista minut”: kirjaa sinut uudelleen sisään tällä laitteella. Vaihtuu joka käytöllä eikä koskaan sisällä salasanaasi."),
    ("ga", "Ach amháin má chuireann tú tic le “Cuimhnigh orm”: logálann sé isteach thú arís ar an ngléas seo. Athraíonn sé gach uair a úsáidtear é agus ní bhíonn do phasfhocal ann riamh."),
    ("hr", "Samo ako označite „Zapamti me”: ponovno Vas prijavljuje na ovom uređaju. Mijenja se pri svakoj upotrebi i nikada ne sadrži Vašu lozinku."),
    ("hu", "Csak ha bejelöli az „Emlékezzen rám” lehetőséget: ezen az eszközön újra bejelentkezteti Önt. Minden használatkor megváltozik, és soha nem tartalmazza az Ön jelszavát."),
    ("lt", "Tik jei pažymite „Prisiminti mane“: šiame įrenginyje vėl Jus prijungia. Keičiasi kaskart jį naudojant ir niekada nesaugo Jūsų slaptažodžio."),
    ("lv", "Tikai tad, ja atzīmējat “Atcerēties mani”: atkārtoti piesaka Jūs šajā ierīcē. Mainās katrā lietošanas reizē un nekad nesatur Jūsu paroli."),
    ("mt", "Biss jekk timmarka “Ftakarni”: jerġa’ jdaħħlek fil-kont tiegħek f’dan l-apparat. Jinbidel kull darba li jintuża u qatt ma fih il-password tiegħek."),
    ("ro", "Doar dacă bifați „Ține-mă minte”: vă autentifică din nou pe acest dispozitiv. Se schimbă la fiecare utilizare și nu conține niciodată parola dumneavoastră."),
    ("sk", "Len ak začiarknete „Zapamätať si ma“: na tomto zariadení vás znova prihlási. Mení sa pri každom použití a nikdy neobsahuje vaše heslo."),
    ("sl", "Samo če označite »Zapomni si me«: v tej napravi vas znova prijavi. Spremeni se ob vsaki uporabi in nikoli ne vsebuje vašega gesla."),
    ("sv", "Bara om du kryssar i ”Kom ihåg mig”: loggar in dig igen på den här enheten. Den byts vid varje användning och innehåller aldrig ditt lösenord."),
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
    ("bg", "Задава се при влизане: показва кое от устройствата Ви е това, за да можете да виждате устройствата си и да излизате от профила си на тях."),
    ("cs", "Nastavuje se při přihlášení: určuje, které z vašich zařízení to je, aby šlo vaše zařízení zobrazit a odhlásit."),
    ("da", "Sættes, når du logger ind: viser, hvilken af dine enheder dette er, så du kan se dine enheder og logge dem ud."),
    ("el", "Ορίζεται κατά τη σύνδεση: δείχνει ποια από τις συσκευές σας είναι αυτή, ώστε να μπορείτε να βλέπετε τις συσκευές σας και να τις αποσυνδέετε."),
    ("et", "Määratakse sisselogimisel: näitab, milline teie seadmetest see on, et saaksite oma seadmeid näha ja neist välja logida."),
    ("fi", "Asetetaan kirjautuessasi: kertoo, mikä laitteistasi tämä on, jotta voit nähdä laitteesi ja kirjata ne ulos."),
    ("ga", "Socraítear é nuair a logálann tú isteach: insíonn sé cé acu de do ghléasanna é seo, ionas gur féidir leat do ghléasanna a fheiceáil agus iad a logáil amach."),
    ("hr", "Postavlja se pri prijavi: označava koji je ovo od Vaših uređaja kako biste mogli vidjeti svoje uređaje i odjaviti ih."),
    ("hu", "Bejelentkezéskor jön létre: jelzi, melyik eszköze ez, hogy láthassa és kijelentkeztethesse eszközeit."),
    ("lt", "Nustatomas prisijungiant: nurodo, kuris iš Jūsų įrenginių yra šis, kad galėtumėte matyti savo įrenginius ir juose atsijungti."),
    ("lv", "Tiek iestatīta, kad piesakāties: norāda, kura no Jūsu ierīcēm ir šī, lai Jūs varētu redzēt savas ierīces un izrakstīties tajās."),
    ("mt", "Jiġi ssettjat meta tidħol: jgħid liema wieħed mill-apparati tiegħek huwa dan, biex tkun tista’ tara l-apparati tiegħek u toħroġ minnhom."),
    ("ro", "Se setează la autentificare: arată care dintre dispozitivele dumneavoastră este acesta, ca să vă puteți vedea dispozitivele și să vă deconectați de pe ele."),
    ("sk", "Nastavuje sa pri prihlásení: určuje, ktoré z vašich zariadení to je, aby ste mohli svoje zariadenia vidieť a odhlásiť."),
    ("sl", "Nastavi se ob prijavi: pove, katera od vaših naprav je ta, da lahko vidite svoje naprave in jih odjavite."),
    ("sv", "Sätts när du loggar in: visar vilken av dina enheter detta är, så att du kan se dina enheter och logga ut dem."),
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
    ("bg", "Задава се при влизане: подписана бележка, че от този браузър вече е влизано в профила Ви, така че неуспешните опити на други хора да познаят паролата Ви да не могат да Ви блокират тук. Никога не съдържа паролата Ви."),
    ("cs", "Nastavuje se při přihlášení: podepsaný záznam, že se tento prohlížeč již dříve přihlásil k vašemu účtu, aby vás zde nemohly zablokovat neúspěšné pokusy jiných uhodnout vaše heslo. Nikdy neobsahuje vaše heslo."),
    ("da", "Sættes, når du logger ind: en signeret note om, at denne browser har været logget ind på din konto før, så andres mislykkede forsøg på at gætte din adgangskode ikke kan spærre dig ude her. Den indeholder aldrig din adgangskode."),
    ("el", "Ορίζεται κατά τη σύνδεση: μια υπογεγραμμένη σημείωση ότι αυτό το πρόγραμμα περιήγησης έχει συνδεθεί και στο παρελθόν στον λογαριασμό σας, ώστε οι αποτυχημένες προσπάθειες άλλων να μαντέψουν τον κωδικό πρόσβασής σας να μην μπορούν να σας αποκλείσουν εδώ. Δεν περιέχει ποτέ τον κωδικό πρόσβασής σας."),
    ("et", "Määratakse sisselogimisel: allkirjastatud märge, et selle brauseriga on teie kontole varem sisse logitud, et teiste ebaõnnestunud katsed teie parooli ära arvata ei saaks teid siin välja lukustada. Ei sisalda kunagi teie parooli."),
    ("fi", "Asetetaan kirjautuessasi: allekirjoitettu merkintä siitä, että tällä selaimella on kirjauduttu tilillesi aiemmin, jotta muiden epäonnistuneet yritykset arvata salasanasi eivät voi lukita sinua ulos täällä. Ei koskaan sisällä salasanaasi."),
    ("ga", "Socraítear é nuair a logálann tú isteach: nóta sínithe gur logáil an brabhsálaí seo isteach i do chuntas cheana, ionas nach féidir le hiarrachtaí teipthe daoine eile do phasfhocal a thomhas tú a ghlasáil amach anseo. Ní bhíonn do phasfhocal ann riamh."),
    ("hr", "Postavlja se pri prijavi: potpisana napomena da se ovaj preglednik već prije prijavio na Vaš račun, kako Vas ovdje ne bi mogli zaključati neuspjeli pokušaji drugih da pogode Vašu lozinku. Nikada ne sadrži Vašu lozinku."),
    ("hu", "Bejelentkezéskor jön létre: aláírt feljegyzés arról, hogy ez a böngésző korábban már bejelentkezett az Ön fiókjába, így mások sikertelen jelszótalálgatásai itt nem zárhatják ki Önt. Soha nem tartalmazza az Ön jelszavát."),
    ("lt", "Nustatomas prisijungiant: pasirašyta žyma, kad ši naršyklė jau anksčiau buvo prisijungusi prie Jūsų paskyros, kad kitų nesėkmingi bandymai atspėti Jūsų slaptažodį negalėtų Jūsų čia užblokuoti. Niekada nesaugo Jūsų slaptažodžio."),
    ("lv", "Tiek iestatīta, kad piesakāties: parakstīta atzīme, ka šis pārlūks jau agrāk ir pieteicies Jūsu kontā, lai citu neveiksmīgie mēģinājumi uzminēt Jūsu paroli nevarētu Jūs šeit bloķēt. Tā nekad nesatur Jūsu paroli."),
    ("mt", "Jiġi ssettjat meta tidħol: nota ffirmata li dan il-browser diġà daħal fil-kont tiegħek qabel, biex it-tentattivi falluti ta’ ħaddieħor biex jaqtgħu l-password tiegħek ma jkunux jistgħu jsakkruk barra minn hawn. Qatt ma fih il-password tiegħek."),
    ("ro", "Se setează la autentificare: o notă semnată că acest browser s-a mai autentificat în contul dumneavoastră, pentru ca încercările eșuate ale altora de a vă ghici parola să nu vă poată bloca accesul aici. Nu conține niciodată parola dumneavoastră."),
    ("sk", "Nastavuje sa pri prihlásení: podpísaný záznam, že sa tento prehliadač už predtým prihlásil do vášho účtu, aby vás tu nemohli zablokovať neúspešné pokusy iných uhádnuť vaše heslo. Nikdy neobsahuje vaše heslo."),
    ("sl", "Nastavi se ob prijavi: podpisan zapis, da se je ta brskalnik že prijavil v vaš račun, da vas neuspešni poskusi drugih, da bi uganili vaše geslo, tu ne morejo zakleniti. Nikoli ne vsebuje vašega gesla."),
    ("sv", "Sätts när du loggar in: en signerad anteckning om att den här webbläsaren har loggat in på ditt konto tidigare, så att andras misslyckade försök att gissa ditt lösenord inte kan låsa ute dig här. Den innehåller aldrig ditt lösenord."),
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
            // Every language has a text of its own: none falls back to the default's.
            let expected = TRUSTED_DEVICE_PURPOSE.iter().find(|(c, _)| *c == code).map(|(_, text)| *text).unwrap();
            assert_eq!(cookie.purpose, expected, "{code}");
            assert_eq!(cookie.lifetime_seconds, Some(TRUSTED_DEVICE_LIFETIME_SECONDS), "{code}");
        }
    }

    /// Every purpose of crumb's own cookies is written in each of crumb's
    /// languages, once, and none is left empty or in English.
    #[test]
    fn every_purpose_is_written_in_every_language() {
        let all = [
            ("session", SESSION_PURPOSE),
            ("consent", CONSENT_PURPOSE),
            ("visitor", VISITOR_PURPOSE),
            ("preferences", PREFERENCES_PURPOSE),
            ("auth", AUTH_PURPOSE),
            ("remember", REMEMBER_PURPOSE),
            ("device", DEVICE_PURPOSE),
            ("trusted_device", TRUSTED_DEVICE_PURPOSE),
        ];
        let mut codes: Vec<&str> = crate::i18n::codes().into_iter().collect();
        codes.sort_unstable();
        for (name, texts) in all {
            let mut own: Vec<&str> = texts.iter().map(|(code, _)| *code).collect();
            own.sort_unstable();
            assert_eq!(own, codes, "{name}: one text per language");
            let english = texts[0].1;
            for (code, text) in texts {
                assert!(!text.trim().is_empty(), "{name} {code}");
                assert!(code == "en" || text != english, "{name} {code} is the English text");
            }
        }
        // The demo's declaration translates its own cookies too.
        let config = crate::config::demo();
        for cookie in config.cookies.iter().filter(|c| !c.set_by_crumb) {
            let mut own: Vec<&str> = cookie.purpose.keys().map(String::as_str).collect();
            own.sort_unstable();
            assert_eq!(own, codes, "{}: one text per language", cookie.name);
        }
    }
}
