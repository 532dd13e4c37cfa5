/** Lapor: a citizen reports a problem from the phone, without an account, online or not. */
import { useEffect, useState } from "preact/hooks";
import { PhotoPicker, type PickedPhoto } from "../field/photo-picker";
import { getLanguage, t } from "../lib/i18n";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { PageTitle } from "../shell/ui";
import { FormError, PhoneField, TextArea, TextField } from "../ui/form-field";
import { type Similar, similar } from "./data";
import { useReportSend } from "./lapor-send";
import {
  CategoryStep,
  LocationStep,
  SimilarReports,
  type Spot,
  useCategories,
} from "./lapor-steps";
import { ReportDone } from "./report-done";

export function Lapor() {
  const s = useStore(app);
  const categoryList = useCategories();
  const [category, setCategory] = useState<string>("");
  const [spot, setSpot] = useState<Spot | null>(null);
  const [nearby, setNearby] = useState<Similar[]>([]);
  const [photos, setPhotos] = useState<PickedPhoto[]>([]);
  const [description, setDescription] = useState("");
  const [address, setAddress] = useState("");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const { busy, error, setError, done, queuedKey, send, followCase } = useReportSend();

  useEffect(() => {
    if (!category || !spot) {
      setNearby([]);
      return;
    }
    similar(category, spot.lat, spot.lon)
      .then((list) => setNearby(list.filter((n) => n.followable)))
      .catch(() => setNearby([]));
  }, [category, spot?.lat, spot?.lon]);

  const contact = () => ({
    name: name.trim() || null,
    phone: phone.trim() || null,
    language: getLanguage(),
  });

  async function submit(e: Event) {
    e.preventDefault();
    setError("");
    if (!category) return setError(t("citizen.need_category"));
    if (!spot) return setError(t("citizen.need_location"));
    if (!description.trim()) return setError(t("citizen.need_description"));
    await send(
      {
        category,
        description: description.trim(),
        lat: spot.lat,
        lon: spot.lon,
        location_source: spot.source,
        accuracy_m: spot.accuracy_m,
        address: address.trim(),
        ...contact(),
      },
      photos.map((p) => p.blob),
    );
  }

  if (done) return <ReportDone answer={done} />;

  if (queuedKey) {
    return (
      <section class="screen citizen" data-testid="lapor-queued">
        <PageTitle>{t("citizen.queued_title")}</PageTitle>
        <p class="notice" role="status">
          {t("citizen.queued_body")}
        </p>
        <FormError text={error} />
      </section>
    );
  }

  return (
    <section class="screen citizen" data-testid="lapor-screen">
      <PageTitle>{t("citizen.lapor_title")}</PageTitle>
      <p class="muted">{t("citizen.lapor_intro")}</p>
      <p class="notice">{t("citizen.emergency_hint")}</p>
      <form onSubmit={submit} noValidate>
        <CategoryStep list={categoryList} category={category} onCategory={setCategory} />
        <LocationStep
          cfg={s.config}
          spot={spot}
          onSpot={setSpot}
          address={address}
          onAddress={setAddress}
        />
        <SimilarReports
          nearby={nearby}
          busy={busy}
          onFollow={(reference) => void followCase(reference, contact())}
        />

        <fieldset class="field">
          <legend>{t("citizen.step_photo")}</legend>
          <PhotoPicker photos={photos} onChange={setPhotos} required={false} />
        </fieldset>

        <TextArea
          id="lapor-description"
          label={t("citizen.description")}
          rows={4}
          value={description}
          onValue={setDescription}
          attrs={{ required: true, "aria-describedby": "lapor-description-public" }}
        />
        <p class="notice small" id="lapor-description-public" data-testid="description-public">
          {t("citizen.description_public")}
        </p>

        <fieldset class="field">
          <legend>{t("citizen.step_contact")}</legend>
          <p class="small muted">{t("citizen.contact_hint")}</p>
          <TextField
            id="lapor-name"
            label={t("citizen.name")}
            value={name}
            onValue={setName}
            attrs={{ autocomplete: "name" }}
          />
          <PhoneField id="lapor-phone" value={phone} onValue={setPhone} />
        </fieldset>

        <FormError text={error} testid="lapor-error" />
        <button type="submit" class="btn btn-primary btn-xl btn-block" disabled={busy}>
          {busy ? t("citizen.sending") : t("citizen.submit")}
        </button>
      </form>
    </section>
  );
}
